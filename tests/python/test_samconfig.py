"""What samconfig.toml makes `sam build` and `sam deploy` do: the parameters they pass are the
template's, with values it accepts, and the build and the deploy get the same ones (so the
binary `sam build` makes and the function `sam deploy` creates share one architecture)."""
import pathlib
import re
import shlex
import tomllib

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
COMMANDS = ("build", "deploy")


class _Template(yaml.SafeLoader):
    """Reads template.yaml with CloudFormation's short tags (`!Ref`, `!Sub`, ...) as plain values."""


_Template.add_multi_constructor("!", lambda loader, suffix, node: None)


def template_parameters():
    return yaml.load((ROOT / "template.yaml").read_text(), Loader=_Template)["Parameters"]


def passed_parameters(command):
    """The parameters `sam <command>` passes: [default.global.parameters] then its own section."""
    config = tomllib.loads((ROOT / "samconfig.toml").read_text())["default"]
    merged = dict(config["global"]["parameters"])
    merged.update(config.get(command, {}).get("parameters", {}))
    overrides = merged.get("parameter_overrides", "")
    return dict(pair.split("=", 1) for pair in shlex.split(overrides))


def accepts(parameter, value):
    if "AllowedValues" in parameter and value not in [str(v) for v in parameter["AllowedValues"]]:
        return False
    if "AllowedPattern" in parameter and not re.fullmatch(parameter["AllowedPattern"], value):
        return False
    if parameter["Type"] == "Number":
        number = float(value)
        return parameter.get("MinValue", number) <= number <= parameter.get("MaxValue", number)
    return True


def test_every_parameter_sam_passes_is_one_the_template_takes_with_a_value_it_accepts():
    parameters = template_parameters()
    for command in COMMANDS:
        for name, value in passed_parameters(command).items():
            assert name in parameters, f"sam {command} passes {name}, which template.yaml does not take"
            assert accepts(parameters[name], value), f"sam {command} passes {name}={value}, which template.yaml refuses"


def test_build_and_deploy_get_the_same_parameters_and_the_architecture_among_them():
    build, deploy = (passed_parameters(command) for command in COMMANDS)
    assert build == deploy, "sam build and sam deploy would disagree (a section of its own overrides parameters)"
    assert "Architecture" in build, "the architecture must be set for both, not left to each command's default"
