from django.apps import AppConfig


class PbxadminConfig(AppConfig):
    """The project package. It stays an app only for its migrations, which hand the
    tables it once held over to `asterisk` and `portal` (see 0003_move_out)."""

    name = "pbxadmin"
    verbose_name = "pbxadmin project"
