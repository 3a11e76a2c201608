import pytest


@pytest.fixture(autouse=True)
def upload_folder(app, tmp_path):
    """Receipts go to the test's own folder, never into the working tree's instance folder."""
    folder = tmp_path / "uploads"
    app.config["UPLOAD_FOLDER"] = str(folder)
    return folder
