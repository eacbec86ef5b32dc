"""`prunegate registry` output: one row per event, long or multi-line reasons shortened to one cell."""

from tests.conftest import table_rows

from prunegate.registry.table import registry_table


def test_each_event_is_one_row_and_long_reasons_are_cut():
    events = [
        {"at": "t1", "event": "promote", "by": "ci", "champion": "m:1", "reason": "first"},
        {
            "at": "t2",
            "event": "monitor",
            "by": "monitor",
            "champion": "m:1",
            "reason": "drift | " + "x" * 500,
        },
        {"at": "t3", "event": "rollback", "by": "me", "champion": "m:0", "reason": "line one\nline two"},
    ]
    table = registry_table("m:0", None, events, reason_chars=40).splitlines()
    assert table[:2] == ["champion: m:0", "previous: none"]
    rows = table_rows("\n".join(table))[1:]  # after the header
    assert len(rows) == len(events)
    assert rows[0][-1] == "first"
    cell = rows[1][-1]
    assert cell.startswith("drift \\| x") and cell.endswith("...") and len(cell.replace("\\|", "|")) <= 40
    assert rows[2][-1] == "line one line two"
