import boto3


def imagebuilder_for_api_gateway(endpoint_url, region_name):
    """An Image Builder client that calls this service's API Gateway endpoint.

    API Gateway's IAM auth checks SigV4 signatures made for the service name
    `execute-api`; Image Builder clients sign for `imagebuilder`. This hook changes
    only the signing name: credentials, region and everything else stay as usual.
    """
    client = boto3.client("imagebuilder", endpoint_url=endpoint_url, region_name=region_name)

    def sign_for_execute_api(request, **kwargs):
        request.context.setdefault("signing", {})["signing_name"] = "execute-api"

    client.meta.events.register("before-sign.imagebuilder", sign_for_execute_api)
    return client


# client = imagebuilder_for_api_gateway(
#     "https://abc123.execute-api.us-east-1.amazonaws.com/v1", "us-east-1")
# client.cancel_lifecycle_execution(lifecycleExecutionId="lce-...")
