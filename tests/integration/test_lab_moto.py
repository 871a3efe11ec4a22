"""boto3 against the lab's moto server: EC2 VPCs and an S3 round trip."""

from __future__ import annotations

import uuid
from typing import Any

import boto3
import pytest

pytestmark = pytest.mark.lab


def client(service: str, url: str) -> Any:
    # Dummy credentials: moto accepts anything, and they keep boto3 off real AWS config.
    return boto3.client(
        service, endpoint_url=url, region_name="us-east-1",
        aws_access_key_id="testing", aws_secret_access_key="testing",
    )


def test_vpc_create_and_describe(moto_url: str) -> None:
    ec2 = client("ec2", moto_url)
    name = f"lab-test-{uuid.uuid4().hex[:8]}"
    vpc = ec2.create_vpc(
        CidrBlock="10.42.0.0/16",
        TagSpecifications=[{"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": name}]}],
    )["Vpc"]
    try:
        found = ec2.describe_vpcs(VpcIds=[vpc["VpcId"]])["Vpcs"]
        assert [v["CidrBlock"] for v in found] == ["10.42.0.0/16"]
        assert {"Key": "Name", "Value": name} in found[0]["Tags"]
    finally:
        ec2.delete_vpc(VpcId=vpc["VpcId"])


def test_s3_roundtrip(moto_url: str) -> None:
    s3 = client("s3", moto_url)
    bucket = f"lab-test-{uuid.uuid4().hex}"
    body = uuid.uuid4().bytes * 1000
    s3.create_bucket(Bucket=bucket)
    try:
        s3.put_object(Bucket=bucket, Key="dir/object.bin", Body=body)
        assert s3.get_object(Bucket=bucket, Key="dir/object.bin")["Body"].read() == body
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
        assert keys == ["dir/object.bin"]
    finally:
        s3.delete_object(Bucket=bucket, Key="dir/object.bin")
        s3.delete_bucket(Bucket=bucket)
