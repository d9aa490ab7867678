"""Credit-record file formats, registered as import kinds of `core.ingest` (docs/record-formats.md).

- `penalty`: the national 双公示 administrative-penalty templates (legal and natural persons);
- `project`: the project's templates for judgments, judgment defaulters, 处分, 问责 and commendations;
- `base`: what they share (operation types 新增/变更/撤销, subject resolution, keys, publication).
"""

from govtrust.records.formats import penalty, project

__all__ = ["penalty", "project"]
