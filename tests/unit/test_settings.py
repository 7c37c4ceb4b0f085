"""Settings: `.env.example` documents every variable with its default and reads the same under
every tool the README names; values come in the forms those tools deliver; secrets stay hidden."""

import os
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from honcho.environ import parse as honcho_parse

from bot.discord.settings import DiscordSettings
from bot.slack.settings import SlackSettings
from knowledge.settings import BadSettingsError, Settings, load
from tests.conftest import REPO
from workers.settings import WorkerSettings

# The widest settings: each platform's, which include the workers' and knowledge's.
EVERY = [SlackSettings, DiscordSettings]
EXAMPLE = REPO / ".env.example"


def docker_env_file(text: str) -> dict[str, str]:
    """`docker run --env-file` as documented: `KEY=VALUE` lines taken literally (quotes kept),
    `#` lines and blank lines skipped."""
    values = {}
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            values[key.strip()] = value
    return values


@contextmanager
def environment(monkeypatch: pytest.MonkeyPatch, values: dict[str, str]) -> Iterator[None]:
    """Only `values` as SUPPORTBOT_ variables, as a process started with them sees them."""
    with monkeypatch.context() as patch:
        for name in [n for n in os.environ if n.startswith("SUPPORTBOT_")]:
            patch.delenv(name)
        for name, value in values.items():
            patch.setenv(name, value)
        yield


@pytest.mark.parametrize("settings", EVERY)
def test_the_documented_example_settings_load_as_the_defaults_with_dotenv(settings, monkeypatch):
    with environment(monkeypatch, {}):
        assert settings(_env_file=EXAMPLE) == settings(_env_file=None)


@pytest.mark.parametrize("reader", [honcho_parse, docker_env_file], ids=["honcho", "docker"])
@pytest.mark.parametrize("settings", EVERY)
def test_the_example_loads_as_the_defaults_the_way_honcho_and_docker_read_it(
    settings, reader, monkeypatch
):
    values = reader(EXAMPLE.read_text(encoding="utf-8"))
    assert values["SUPPORTBOT_HANDOFF_CONTACT"] in ('"our support team"', "our support team")
    with environment(monkeypatch, {}):
        defaults = settings(_env_file=None)
    with environment(monkeypatch, values):
        read = settings(_env_file=None)
    assert read == defaults
    assert read.handoff_contact == "our support team"  # spaces kept, quotes gone


@pytest.mark.parametrize("settings", EVERY)
def test_every_setting_is_documented_in_the_example(settings):
    documented = EXAMPLE.read_text(encoding="utf-8")
    for name in settings.model_fields:
        assert f"SUPPORTBOT_{name.upper()}=" in documented, name


@pytest.mark.parametrize(
    "written",
    ["+1,thumbsup,white_check_mark", '["+1", "thumbsup", "white_check_mark"]',
     "'+1, thumbsup, white_check_mark'", "+1, thumbsup ,white_check_mark"],
)  # fmt: skip
def test_lists_read_as_commas_or_json_with_or_without_quotes(written, monkeypatch):
    with environment(monkeypatch, {"SUPPORTBOT_SLACK_VOTE_UP": written}):
        assert SlackSettings(_env_file=None).slack_vote_up == ["+1", "thumbsup", "white_check_mark"]


def test_ids_and_channel_policies_read_as_honcho_delivers_them(monkeypatch):
    line = """SUPPORTBOT_DISCORD_CHANNELS='{"123": {"collections": ["billing"], "handoff": "<@9>"}}'
SUPPORTBOT_DISCORD_GUILDS=111,222"""
    for reader in (honcho_parse, docker_env_file):
        with environment(monkeypatch, reader(line)):
            settings = DiscordSettings(_env_file=None)
        assert settings.discord_guilds == [111, 222]
        policy = settings.discord_channels["123"]
        assert (policy.collections, policy.handoff) == (["billing"], "<@9>")


def test_a_bad_value_is_one_line_naming_the_variable(monkeypatch):
    bad = {"SUPPORTBOT_DISCORD_GUILDS": "my-server", "SUPPORTBOT_TOP_K": "many"}
    with environment(monkeypatch, bad), pytest.raises(BadSettingsError) as raised:
        load(DiscordSettings)
    message = str(raised.value)
    assert "\n" not in message
    assert "SUPPORTBOT_DISCORD_GUILDS" in message and "SUPPORTBOT_TOP_K" in message


def test_a_draft_channel_without_a_review_channel_is_refused_at_start(monkeypatch):
    drafts = {"SUPPORTBOT_SLACK_CHANNELS": '{"C1": {"mode": "draft"}}'}
    with environment(monkeypatch, drafts), pytest.raises(BadSettingsError) as raised:
        load(SlackSettings)
    assert "SUPPORTBOT_SLACK_CHANNELS" in str(raised.value)
    assert "review_channel" in str(raised.value)
    reviewed = {"SUPPORTBOT_SLACK_CHANNELS": '{"C1": {"mode": "draft", "review_channel": "C2"}}'}
    with environment(monkeypatch, reviewed):
        policy = load(SlackSettings).slack_channels["C1"]
    assert (policy.answers_by_itself, policy.reviewer) == (True, "C2")


def test_a_visibility_timeout_past_the_expiry_is_refused_naming_both(monkeypatch):
    """A dead worker's question comes back after the visibility timeout: past the expiry, it
    would always come back too late to be answered."""
    late = {"SUPPORTBOT_VISIBILITY_TIMEOUT_S": "3600", "SUPPORTBOT_TASK_EXPIRY_S": "600"}
    with environment(monkeypatch, late), pytest.raises(BadSettingsError) as raised:
        load(WorkerSettings)
    message = str(raised.value)
    assert "SUPPORTBOT_VISIBILITY_TIMEOUT_S" in message and "SUPPORTBOT_TASK_EXPIRY_S" in message
    assert "\n" not in message
    with environment(monkeypatch, {"SUPPORTBOT_VISIBILITY_TIMEOUT_S": "300"}):
        assert load(WorkerSettings).answer_deadline_s == 600 + 300 + 60


def test_the_earlier_name_of_the_records_setting_is_still_read(monkeypatch):
    with environment(monkeypatch, {"SUPPORTBOT_FEEDBACK_URL": "sqlite:///votes.sqlite"}):
        assert load(WorkerSettings).resolved_records_url == "sqlite:///votes.sqlite"


def test_secrets_do_not_show_in_reprs(monkeypatch):
    monkeypatch.setenv("HF_TOKEN", "hf_secret_value")
    monkeypatch.setenv("SUPPORTBOT_MILVUS_TOKEN", "root:Milvus")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.hf_token.get_secret_value() == "hf_secret_value"
    assert "hf_secret_value" not in repr(settings) and "root:Milvus" not in str(settings)


def test_tune_push_says_how_to_serve_the_adapter_with_each_backend():
    from bot.cli.feedback import rollout

    text = rollout("acme/voice", "abc123", Settings(_env_file=None, base_model="Qwen/Qwen2.5-0.5B"))
    assert "SUPPORTBOT_ADAPTER_MODEL=acme/voice SUPPORTBOT_ADAPTER_REVISION=abc123" in text
    assert "hf download acme/voice --revision abc123 --local-dir adapters/brand" in text
    assert "vllm serve Qwen/Qwen2.5-0.5B --enable-lora --lora-modules brand=adapters/brand" in text
    assert "SUPPORTBOT_HOSTED_ADAPTER=brand" in text
    assert "LORA_ADAPTERS=acme/voice" in text and "SUPPORTBOT_HOSTED_ADAPTER=acme/voice" in text
