"""Transforms template.yaml with the SAM translator (pinned in the venv, as `sam deploy` does)
and counts the CloudFormation resources of the stack it would create.

CloudFormation refuses a stack of more than 500 resources; Andes keeps a margin for the
services still to come and fails past the budget (450 by default), printing the count. If a
service would pass it, the answer is one nested stack per service.

Usage: template_budget.py [TEMPLATE] [--budget N]
"""

import argparse
import collections
import os
import sys

from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse

CLOUDFORMATION_LIMIT = 500


class NoManagedPolicyNames:
    """The template names no AWS managed policy by name (only policy templates and ARNs), so
    the translator never needs IAM's name → ARN map; an empty one makes that checkable: a
    managed policy name would fail the transform here instead of needing AWS."""

    def load(self):
        return {}


def stack_resources(path):
    template = yaml_parse(open(path, encoding="utf-8").read())
    # `sam deploy` packages each function and rewrites its local CodeUri to the uploaded
    # object's S3 URI before CloudFormation (and the SAM transform) sees the template.
    template.setdefault("Globals", {}).setdefault("Function", {})["CodeUri"] = "s3://andes-artifacts/code.zip"
    for resource in template.get("Resources", {}).values():
        if resource.get("Type") == "AWS::Serverless::Function":
            resource.get("Properties", {}).pop("CodeUri", None)
    parameters = {"JwtSecret": "x" * 32}
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    return transform(template, parameters, NoManagedPolicyNames())["Resources"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("template", nargs="?", default="template.yaml")
    parser.add_argument("--budget", type=int, default=450)
    args = parser.parse_args()
    resources = stack_resources(args.template)
    kinds = collections.Counter(resource["Type"] for resource in resources.values())
    summary = ", ".join(f"{count} {kind}" for kind, count in kinds.most_common())
    print(f"template budget: {len(resources)} CloudFormation resources (budget {args.budget}, "
          f"CloudFormation limit {CLOUDFORMATION_LIMIT}): {summary}")
    if len(resources) > args.budget:
        print(f"template budget: {len(resources)} resources is over the budget of {args.budget}; "
              "move a service into its own nested stack", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
