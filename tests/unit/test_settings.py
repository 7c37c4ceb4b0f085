"""Settings: `.env.example` documents every variable with its default; secrets stay hidden."""

import pytest

from bot.discord.settings import DiscordSettings
from bot.slack.settings import SlackSettings
from knowledge.settings import Settings
from tests.conftest import REPO

# The widest settings: each platform's, which include the workers' and knowledge's.
EVERY = [SlackSettings, DiscordSettings]


@pytest.mark.parametrize("settings", EVERY)
def test_the_documented_example_settings_load_as_the_defaults(settings):
    example = settings(_env_file=REPO / ".env.example")
    assert example == settings(_env_file=None)


@pytest.mark.parametrize("settings", EVERY)
def test_every_setting_is_documented_in_the_example(settings):
    documented = (REPO / ".env.example").read_text()
    for name in settings.model_fields:
        assert f"SUPPORTBOT_{name.upper()}=" in documented, name


def test_secrets_do_not_show_in_reprs(monkeypatch):
    monkeypatch.setenv("HF_TOKEN", "hf_secret_value")
    monkeypatch.setenv("SUPPORTBOT_MILVUS_TOKEN", "root:Milvus")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.hf_token.get_secret_value() == "hf_secret_value"
    assert "hf_secret_value" not in repr(settings) and "root:Milvus" not in str(settings)
