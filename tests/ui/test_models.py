from __future__ import annotations

from PySide6.QtCore import QModelIndex, QSortFilterProxyModel, Qt
from pytestqt.modeltest import ModelTester

from tiktok_desktop.bootstrap import AppGraph
from tiktok_desktop.store import PostState
from tiktok_desktop.ui.models import ROW_ROLE, SORT_ROLE, AccountsModel, PostsModel


def _cell(model: AccountsModel | PostsModel, row: int, col: int,
          role: int = Qt.ItemDataRole.DisplayRole) -> object:
    return model.data(model.index(row, col), role)


def test_accounts_model_passes_modeltester(qtmodeltester: ModelTester, seeded: AppGraph) -> None:
    model = AccountsModel()
    qtmodeltester.check(model)
    model.set_rows(seeded.accounts.list_accounts())
    qtmodeltester.check(model)
    assert model.rowCount() == 2
    assert model.columnCount() == 2
    labels = {_cell(model, r, 0) for r in range(2)}
    assert labels == {"Mia Chen\n@miacooks", "Studio North"}
    assert {str(_cell(model, r, 1)).split("\n")[0] for r in range(2)} == {"Connected"}
    tip = str(_cell(model, 0, 0, Qt.ItemDataRole.ToolTipRole))
    assert "Status: Connected" in tip
    assert _cell(model, 0, 0, Qt.ItemDataRole.DecorationRole) is None  # no picture source
    # Children of a cell do not exist in a table.
    assert model.rowCount(model.index(0, 0)) == 0


def test_posts_model_columns_and_sorting(qtmodeltester: ModelTester, seeded: AppGraph) -> None:
    accounts = {a.id: a.label for a in seeded.accounts.list_accounts()}
    model = PostsModel(lambda i: accounts[i])
    model.set_rows(seeded.posts.list_posts())
    qtmodeltester.check(model)
    assert [model.headerData(c, Qt.Orientation.Horizontal) for c in range(6)] == [
        "Due", "Account", "Video", "Caption", "Privacy", "State"]

    proxy = QSortFilterProxyModel()
    proxy.setSourceModel(model)
    proxy.setSortRole(SORT_ROLE)
    proxy.sort(0, Qt.SortOrder.AscendingOrder)
    order = [proxy.data(proxy.index(r, 2)) for r in range(proxy.rowCount())]
    # Overdue failed one, soon, later, then the draft without a due time last.
    assert order == ["f.mp4", "soon.mp4", "late.mp4", "draft.mov"]

    rows = {model.data(model.index(r, 2)): r for r in range(model.rowCount())}
    late = rows["late.mp4"]
    assert _cell(model, late, 3) == "Later post"  # first line only
    assert _cell(model, late, 3, Qt.ItemDataRole.ToolTipRole) == "Later post\nsecond line"
    assert _cell(model, late, 4) == "Only me"
    assert _cell(model, rows["draft.mov"], 0) == "Not scheduled"
    assert _cell(model, rows["f.mp4"], 5) == "Failed"
    assert _cell(model, rows["f.mp4"], 5, Qt.ItemDataRole.ToolTipRole) == "TikTok said no"
    post = model.data(model.index(late, 0), ROW_ROLE)
    assert post.state is PostState.SCHEDULED
    assert model.data(QModelIndex()) is None


def test_accounts_model_status_permissions_and_pictures(qapp: object,  # pictures need it
                                                        qtmodeltester: ModelTester,
                                                        seeded: AppGraph) -> None:
    from tiktok_desktop.store import AccountStatus
    from tiktok_desktop.ui.avatars import SIZE, initials_picture

    accounts = seeded.accounts.list_accounts()
    model = AccountsModel(initials_picture)
    model.set_rows(accounts)
    qtmodeltester.check(model)
    assert [model.headerData(c, Qt.Orientation.Horizontal) for c in range(2)] == [
        "Account", "Status"]
    picture = _cell(model, 0, 0, Qt.ItemDataRole.DecorationRole)
    assert picture is not None and picture.width() == SIZE  # type: ignore[attr-defined]
    tip = str(_cell(model, 0, 1, Qt.ItemDataRole.ToolTipRole))
    assert "Allowed: " in tip
    # Seeded: Mia gave no inbox or post links, Studio North only the profile.
    texts = sorted(str(_cell(model, r, 1)) for r in range(2))
    assert texts == ["Connected\nno direct posts, inbox, post links",
                     "Connected\nno inbox, post links"]

    repo = seeded.accounts.repo
    repo.set_status(accounts[0].id, AccountStatus.NEEDS_RECONNECT)
    model.set_rows(seeded.accounts.list_accounts())
    row = next(r for r in range(2) if model.data(model.index(r, 0), ROW_ROLE).id == accounts[0].id)
    assert _cell(model, row, 1) == "Needs reconnect\nAccounts → Reconnect"
    assert _cell(model, row, 1, Qt.ItemDataRole.ForegroundRole) is not None
