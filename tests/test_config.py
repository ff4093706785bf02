"""Settings come from defaults, then the TOML file, then MECENATE_* variables."""

from pathlib import Path

import pytest

from node.config import load_settings
from node.errors import ConfigError


def test_defaults_come_from_the_shipped_toml() -> None:
    settings = load_settings()
    assert settings.chain_id == 31337
    assert settings.api.port == 8000
    assert settings.p2p.listen == "/ip4/127.0.0.1/tcp/4001"


def test_environment_overrides_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MECENATE_API__PORT", "8123")
    monkeypatch.setenv("MECENATE_P2P__BOOTSTRAP", '["/ip4/127.0.0.1/tcp/4002/p2p/QmPeer"]')
    settings = load_settings()
    assert settings.api.port == 8123
    assert settings.p2p.bootstrap == ["/ip4/127.0.0.1/tcp/4002/p2p/QmPeer"]


def test_another_file_by_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    config = tmp_path / "node.toml"
    config.write_text("chain_id = 1337\n[api]\nport = 9000\n")
    monkeypatch.setenv("MECENATE_CONFIG", str(config))
    settings = load_settings()
    assert (settings.chain_id, settings.api.port) == (1337, 9000)


def test_bad_value_names_the_field(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MECENATE_API__PORT", "99999")
    with pytest.raises(ConfigError, match="port"):
        load_settings()


def test_errors_never_echo_values(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    config = tmp_path / "node.toml"
    config.write_text("[api]\nadmin_token = 987654321\n")
    monkeypatch.setenv("MECENATE_CONFIG", str(config))
    with pytest.raises(ConfigError, match=r"api\.admin_token") as info:
        load_settings()
    assert "987654321" not in str(info.value)


def test_broken_toml_and_bad_scrypt_cost(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    config = tmp_path / "node.toml"
    config.write_text("chain_id = = 3\n")
    monkeypatch.setenv("MECENATE_CONFIG", str(config))
    with pytest.raises(ConfigError, match="cannot read"):
        load_settings()
    monkeypatch.delenv("MECENATE_CONFIG")
    monkeypatch.setenv("MECENATE_KEYSTORE_SCRYPT_N", "1500")
    with pytest.raises(ConfigError, match="power of two"):
        load_settings()


def test_secret_files_are_owner_only_stable_and_checked(tmp_path: Path) -> None:
    from node.config import secret_file

    path = tmp_path / "data" / "node.key"
    first, created = secret_file(path, "test key")
    assert created and len(first) == 32 and path.stat().st_mode & 0o777 == 0o600
    assert secret_file(path, "test key") == (first, False)
    path.write_bytes(b"short")
    with pytest.raises(ConfigError, match="32 bytes"):
        secret_file(path, "test key")


def test_every_p2p_tunable_is_a_setting(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    config = tmp_path / "node.toml"
    config.write_text("[p2p]\nfault_threshold = 38\nban_seconds = 600\ngossip_queue = 50\n")
    monkeypatch.setenv("MECENATE_CONFIG", str(config))
    monkeypatch.setenv("MECENATE_P2P__FEED_BUFFER", "8")
    monkeypatch.setenv("MECENATE_P2P__GOSSIP_HEARTBEAT_SECONDS", "0.5")
    p2p = load_settings().p2p
    assert (p2p.fault_threshold, p2p.ban_seconds, p2p.gossip_queue) == (38, 600, 50)
    assert (p2p.feed_buffer, p2p.gossip_heartbeat_seconds) == (8, 0.5)
    monkeypatch.setenv("MECENATE_P2P__BAN_SECONDS", "0")
    with pytest.raises(ConfigError, match=r"p2p\.ban_seconds"):
        load_settings()


def test_shipped_toml_states_the_p2p_defaults() -> None:
    from node.config import P2PSettings

    assert load_settings().p2p == P2PSettings()


def test_shipped_toml_states_the_search_and_discover_defaults() -> None:
    from node.config import DiscoverSettings, SearchSettings

    settings = load_settings()
    assert (settings.search, settings.discover) == (SearchSettings(), DiscoverSettings())
