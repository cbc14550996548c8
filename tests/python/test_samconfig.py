"""samconfig.toml keeps the architecture of `sam build` and `sam deploy` in step."""
import pathlib
import tomllib

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_the_architecture_is_set_once_for_build_and_deploy_alike():
    config = tomllib.loads((ROOT / "samconfig.toml").read_text())["default"]
    overrides = config["global"]["parameters"]["parameter_overrides"]
    assert "Architecture=" in overrides
    for command, section in config.items():
        if command != "global":
            assert "parameter_overrides" not in section.get("parameters", {}), (
                f"[default.{command}] overrides parameters: the architecture could differ from the build's")
