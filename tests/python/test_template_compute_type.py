"""template.yaml runs the function on standard Lambda (the default) or on Lambda Managed
Instances, chosen by ComputeType when the stack is created: one function either way, so the
API, the alias and its rollout, the alarms, the log group and the dashboard follow the choice.
Read through scripts/render_template.py, which resolves the choice as AWS::LanguageExtensions
does (`make template` lints each rendering)."""
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

import render_template  # noqa: E402

FUNCTION = "CancelLifecycleExecutionFunction"
EXISTING = "arn:aws:lambda:us-east-1:123456789012:capacity-provider:shared"


def rendered(*choice):
    return render_template.render(render_template.yaml_parse((ROOT / "template.yaml").read_text()), *choice)


def function(template):
    return template["Resources"][FUNCTION]["Properties"]


def test_the_default_is_standard_lambda_at_512_mb_without_a_capacity_provider():
    standard = rendered("Standard")
    assert "CapacityProviderConfig" not in function(standard)
    assert function(standard)["MemorySize"] == 512
    assert "CapacityProvider" not in standard["Resources"]
    assert standard["Parameters"]["ComputeType"]["Default"] == "Standard"
    assert standard["Transform"] == ["AWS::Serverless-2016-10-31"]


def test_managed_instances_run_the_function_on_a_capacity_provider_the_stack_creates():
    managed = rendered("ManagedInstances")
    config = function(managed)["CapacityProviderConfig"]
    assert config["Arn"] == {"Fn::Sub": "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}"
                                        ":capacity-provider:${CapacityProvider}"}
    assert config["PerExecutionEnvironmentMaxConcurrency"] == {"Ref": "PerExecutionEnvironmentMaxConcurrency"}
    assert config["ExecutionEnvironmentMemoryGiBPerVCpu"] == {"Ref": "ExecutionEnvironmentMemoryGiBPerVCpu"}
    assert function(managed)["MemorySize"] == 2048
    provider = managed["Resources"]["CapacityProvider"]
    assert "Condition" not in provider
    assert provider["Properties"]["VpcConfig"] == {
        "SubnetIds": {"Ref": "CapacityProviderSubnetIds"},
        "SecurityGroupIds": {"Ref": "CapacityProviderSecurityGroupIds"},
    }
    assert provider["Properties"]["InstanceRequirements"]["Architectures"] == [{"Ref": "Architecture"}]


def test_managed_instances_on_an_existing_capacity_provider_create_none():
    managed = rendered("ManagedInstances", EXISTING)
    assert function(managed)["CapacityProviderConfig"]["Arn"] == {"Ref": "CapacityProviderArn"}
    assert "CapacityProvider" not in managed["Resources"]
    assert managed["Parameters"]["CapacityProviderArn"]["Default"] == EXISTING


def test_everything_that_points_at_the_function_is_the_same_either_way():
    standard, managed = rendered("Standard"), rendered("ManagedInstances")
    others = set(standard["Resources"]) - {FUNCTION}
    assert set(managed["Resources"]) - {FUNCTION, "CapacityProvider"} == others
    for name in others:
        assert managed["Resources"][name] == standard["Resources"][name], name
    keep = {key: value for key, value in function(standard).items() if key != "MemorySize"}
    assert {key: value for key, value in function(managed).items()
            if key not in ("MemorySize", "CapacityProviderConfig")} == keep
    assert keep["AutoPublishAlias"] == "live" and "DeploymentPreference" in keep and len(keep["Events"]) >= 3
