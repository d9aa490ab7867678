"""Evaluation has no stored models yet: the scoring pipeline (evaluation/pipeline/) is pure numpy and the
`govtrust evaluate` command works on files. Framework versions and stored runs come with issue 7 items 1 and 5."""
