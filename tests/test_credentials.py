"""Which key goes where: a vendor key only to the vendor or its paired *_BASE_URL server;
other servers only get a key given for them; keys are scrubbed from anything logged."""

import asyncio

import pytest

from playground.providers import (
    PROVIDERS,
    Credentials,
    Message,
    Provider,
    ProviderError,
    get_model,
    keyed_providers,
)
from playground.providers.openai import OpenAIModel
from playground.providers.remote import PLACEHOLDER_KEY, require_key

OTHER = "http://127.0.0.1:9/v1"


def test_vendor_key_goes_to_the_vendor_and_its_paired_base_url(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env-key-123456")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://10.1.2.3:8000/v1")
    creds = Credentials()
    assert creds.key_for("openai") == "sk-env-key-123456"
    assert creds.key_for("openai", "https://api.openai.com/v1") == "sk-env-key-123456"
    assert creds.key_for("openai", "http://10.1.2.3:8000/v1/") == "sk-env-key-123456"
    assert creds.key_for("openai", OTHER) is None  # some other server never sees it


def test_other_servers_get_only_their_own_key(monkeypatch):
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    typed = Credentials.from_sources({"openai": "sk-typed-abcdefgh", OTHER + "/": "srv-key"})
    assert typed.key_for("openai", OTHER) == "srv-key"
    assert typed.key_for("openai", "http://127.0.0.1:10/v1") is None
    model = get_model("openai/m", base_url="http://127.0.0.1:10/v1", credentials=typed)
    assert model._api_key.get_secret_value() == PLACEHOLDER_KEY


def test_api_key_env_names_a_servers_key(monkeypatch):
    monkeypatch.setenv("TOGETHER_KEY", "tk-123456789")
    key = require_key(
        Credentials(),
        "openai",
        env_var="OPENAI_API_KEY",
        model="openai/x",
        base_url=OTHER,
        api_key_env="TOGETHER_KEY",
    )
    assert key == "tk-123456789"
    with pytest.raises(ProviderError, match="api_key_env names MISSING_KEY, which is not set"):
        require_key(
            Credentials(),
            "openai",
            env_var="OPENAI_API_KEY",
            model="openai/x",
            base_url=OTHER,
            api_key_env="MISSING_KEY",
        )


def test_redact_removes_known_keys_and_key_shapes(monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "plain-secret-value-42")
    creds = Credentials({"openai": "sk-proj-abcdefghij"})
    text = creds.redact(
        "bad key sk-proj-abcdefghij, also plain-secret-value-42 and sk-other12345678"
    )
    assert text == "bad key [redacted], also [redacted] and [redacted]"


def test_a_vendor_key_goes_to_its_host_only_over_https(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env-key-123456")
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    creds = Credentials.from_sources({"anthropic": "sk-ant-typed-123456"})
    assert creds.key_for("openai", "https://api.openai.com/v1") == "sk-env-key-123456"
    for elsewhere in (
        "http://api.openai.com/v1",  # the right host in clear text
        "https://api.openai.com:8443/v1",
        "https://api.openai.com.evil.example/v1",
        "https://evil.example/api.openai.com/v1",
    ):
        assert creds.key_for("openai", elsewhere) is None, elsewhere
    assert creds.key_for("anthropic", "http://api.anthropic.com") is None
    assert creds.key_for("anthropic", "https://api.anthropic.com") == "sk-ant-typed-123456"
    # the model gets a placeholder, not the key, for the clear-text URL
    model = get_model("openai/m", base_url="http://api.openai.com/v1", credentials=creds)
    assert model._api_key.get_secret_value() == PLACEHOLDER_KEY


def test_api_key_env_cannot_send_a_vendor_key_elsewhere(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env-key-123456")
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    with pytest.raises(ProviderError, match="OPENAI_API_KEY, OpenAI's own key, which goes only"):
        get_model("openai/m", base_url=OTHER, api_key_env="OPENAI_API_KEY")
    monkeypatch.setenv("OPENAI_BASE_URL", OTHER)  # paired by the user: allowed
    model = get_model("openai/m", base_url=OTHER, api_key_env="OPENAI_API_KEY")
    assert model._api_key.get_secret_value() == "sk-env-key-123456"


def test_a_key_named_by_api_key_env_joins_the_redaction_list(monkeypatch):
    monkeypatch.setenv("LAB_SERVER_SECRET", "plain-lab-secret-987")
    creds = Credentials()
    assert creds.redact("401: bad key plain-lab-secret-987") == "401: bad key plain-lab-secret-987"
    get_model("openai/m", base_url=OTHER, credentials=creds, api_key_env="LAB_SERVER_SECRET")
    assert creds.redact("401: bad key plain-lab-secret-987") == "401: bad key [redacted]"
    assert "plain-lab-secret-987" in creds.secret_values()


class CompatModel(OpenAIModel):
    """An OpenAI-compatible vendor: the OpenAI model under a provider of its own."""

    provider = "compat"


create = CompatModel.create


def test_a_new_provider_is_one_declaration(monkeypatch, openai_server):
    declared = Provider(
        prefix="compat",
        label="Compat Cloud",
        factory=f"{__name__}:create",
        key_env="COMPAT_API_KEY",
        base_url_env="COMPAT_BASE_URL",
        vendor_host="api.compat.example",
        default_base_url="https://api.compat.example/v1",
    )
    monkeypatch.setitem(PROVIDERS, "compat", declared)
    monkeypatch.setenv("COMPAT_API_KEY", "ck-compat-key-0123456789")
    monkeypatch.delenv("COMPAT_BASE_URL", raising=False)
    assert declared in keyed_providers()  # the keys sidebar draws a field for it
    assert get_model("compat/m").base_url == "https://api.compat.example/v1"  # its own API
    assert get_model("compat/m", base_url=OTHER)._api_key.get_secret_value() == PLACEHOLDER_KEY
    monkeypatch.setenv("COMPAT_BASE_URL", openai_server.base_url)  # paired with the key
    reply = asyncio.run(get_model("compat/m").generate([Message(role="user", content="hi")]))
    assert reply.text == "Echo: hi"
    assert openai_server.requests[0].headers["authorization"] == "Bearer ck-compat-key-0123456789"
    assert Credentials().redact("ck-compat-key-0123456789!") == "[redacted]!"
