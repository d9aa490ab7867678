import pytest
from registry.builders import make_uscc

from govtrust.records.models import CreditRecord

from .formats_helpers import LEGAL_HEADERS, errors_of, legal_row, run, write_csv

AUTH = make_uscc(501, area="320100")


@pytest.mark.django_db
def test_smoke(cast, tmp_path):
    path = write_csv(tmp_path / "a.csv", LEGAL_HEADERS, [legal_row(cast.xw_edu.name, cast.xw_edu.uscc, AUTH)])
    batch = run(path, "records.penalty_legal_person", cast.nj_credit.uscc)
    print(batch.status, batch.message, batch.result, errors_of(batch))
    assert CreditRecord.objects.count() == 1
