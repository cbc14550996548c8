"""Renders template.yaml for one ComputeType, as CloudFormation's AWS::LanguageExtensions
transform does before SAM reads it: every Fn::If whose condition depends on ComputeType or
CapacityProviderArn is replaced by its branch, resources under such a condition are kept or
dropped, and AWS::LanguageExtensions leaves the Transform list. Everything else stays as
written, so the linters see the template a stack of that kind is made from.

    .venv/bin/python scripts/render_template.py ManagedInstances > target/template-managed-instances.json

Run with the test venv (cfn-lint parses CloudFormation's short tags). `make template` lints
both renderings: this one and template.yaml itself (the Standard default).
"""

import json
import sys
from pathlib import Path

from cfnlint.decode.cfn_yaml import loads as yaml_parse

ROOT = Path(__file__).resolve().parent.parent
CHOSEN = ("ComputeType", "CapacityProviderArn")
NO_VALUE = {"Ref": "AWS::NoValue"}
REMOVED = object()  # what a decided Fn::If leaves when its branch is AWS::NoValue


def condition_value(conditions, parameters, expression):
    """The value of a condition expression over the chosen parameters, or None when it reads
    any other parameter (left to CloudFormation)."""
    if isinstance(expression, dict) and len(expression) == 1:
        (name, operand), = expression.items()
        if name == "Condition":
            return condition_value(conditions, parameters, conditions[operand])
        if name == "Ref":
            return parameters.get(operand)
        values = [condition_value(conditions, parameters, item) for item in operand]
        if any(value is None for value in values):
            return None
        if name == "Fn::Equals":
            return values[0] == values[1]
        if name == "Fn::Not":
            return not values[0]
        if name == "Fn::And":
            return all(values)
        if name == "Fn::Or":
            return any(values)
        raise SystemExit(f"render_template: unknown condition function {name}")
    return expression


def resolve(node, decided):
    """`node` with every Fn::If over a decided condition replaced by its branch."""
    if isinstance(node, dict):
        if set(node) == {"Fn::If"} and node["Fn::If"][0] in decided:
            name, when_true, when_false = node["Fn::If"]
            branch = when_true if decided[name] else when_false
            return REMOVED if branch == NO_VALUE else resolve(branch, decided)
        resolved = {key: resolve(value, decided) for key, value in node.items()}
        return {key: value for key, value in resolved.items() if value is not REMOVED}
    if isinstance(node, list):
        return [item for item in (resolve(item, decided) for item in node) if item is not REMOVED]
    return node


def render(template, compute_type, capacity_provider_arn=""):
    template = dict(template)
    parameters = {"ComputeType": compute_type, "CapacityProviderArn": capacity_provider_arn}
    conditions = template["Conditions"]
    decided = {}
    for name, expression in conditions.items():
        value = condition_value(conditions, parameters, expression)
        if value is not None:
            decided[name] = bool(value)
    if not decided:
        raise SystemExit("render_template: no condition depends on ComputeType: template.yaml changed?")
    template["Parameters"] = {
        name: ({**spec, "Default": parameters[name]} if name in CHOSEN else spec)
        for name, spec in template["Parameters"].items()
    }
    resources = {}
    for name, resource in template["Resources"].items():
        condition = resource.get("Condition")
        if condition in decided:
            if not decided[condition]:
                continue
            resource = {key: value for key, value in resource.items() if key != "Condition"}
        resources[name] = resolve(resource, decided)
    template["Resources"] = resources
    template["Outputs"] = resolve(template.get("Outputs", {}), decided)
    template["Conditions"] = {name: value for name, value in conditions.items() if name not in decided}
    transforms = template["Transform"]
    template["Transform"] = [t for t in transforms if t != "AWS::LanguageExtensions"]
    return template


def main():
    if len(sys.argv) not in (2, 3) or sys.argv[1] not in ("Standard", "ManagedInstances"):
        raise SystemExit("usage: render_template.py Standard|ManagedInstances [CapacityProviderArn]")
    template = yaml_parse((ROOT / "template.yaml").read_text())
    json.dump(render(template, *sys.argv[1:]), sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
