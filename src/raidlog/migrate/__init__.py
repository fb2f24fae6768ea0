"""Spreadsheet migration: import any existing RAID log, risk register, or issue, action
or decision log into a register, losing nothing.

::

    import raidlog
    from raidlog.migrate import import_file

    with raidlog.open("raid.db", actor="ana") as register:
        report = import_file("legacy.xlsx", register)
        print(report.summary())
"""

from raidlog.migrate.importer import import_file
from raidlog.migrate.mapping import Mapping, load_mapping
from raidlog.migrate.preflight import Limits
from raidlog.migrate.report import ColumnReport, ImportReport, RowNote, TableReport

__all__ = [
    "ColumnReport",
    "ImportReport",
    "Limits",
    "Mapping",
    "RowNote",
    "TableReport",
    "import_file",
    "load_mapping",
]
