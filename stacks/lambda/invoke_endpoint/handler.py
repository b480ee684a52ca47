"""Classify a dog image with the deployed endpoint.

The event carries the image as base64 (API Gateway's binary body, or
{"image": "<base64>"}); the answer is the endpoint's, as JSON. The
endpoint's name comes from the environment (ENDPOINT_NAME), set by the
stack from the endpoint it deploys.
"""

import base64
import json
import os

import boto3

runtime = boto3.client("sagemaker-runtime")


def lambda_handler(event, context):
    body = event.get("body") or event.get("image") or ""
    if event.get("isBase64Encoded") or "image" in event:
        body = base64.b64decode(body)
    answer = runtime.invoke_endpoint(
        EndpointName=os.environ["ENDPOINT_NAME"],
        ContentType="application/x-image",
        Body=body,
    )
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps(json.loads(answer["Body"].read())),
    }
