# The configuration that checkov.tfplan.json is a plan of (`terraform plan
# -out` and `terraform show -json`, Terraform 1.9, AWS provider 5.x, before
# anything exists): the resources of test_checkov.py's stack, written as a
# Terraform user writes them.

provider "aws" {
  region = "us-east-1"
  default_tags {
    tags = { project = "checkov" }
  }
}

locals {
  key = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
}

resource "aws_s3_bucket" "open_bucket" {
  bucket = "checkov-open"
}

resource "aws_s3_bucket" "safe_bucket" {
  bucket = "checkov-safe"
  tags   = { data = "training" }
}

resource "aws_s3_bucket_public_access_block" "safe_bucket" {
  bucket                  = aws_s3_bucket.safe_bucket.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "safe_bucket" {
  bucket = aws_s3_bucket.safe_bucket.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_iam_role" "public_role" {
  name = "checkov-public"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { AWS = "*" }, Action = "sts:AssumeRole" }]
  })
  managed_policy_arns = ["arn:aws:iam::aws:policy/AdministratorAccess"]
}

resource "aws_iam_role" "service_role" {
  name = "checkov-service"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { Service = "sagemaker.amazonaws.com" }, Action = "sts:AssumeRole" }]
  })
  inline_policy {
    name = "read"
    policy = jsonencode({
      Version   = "2012-10-17"
      Statement = [{ Effect = "Allow", Action = "s3:GetObject", Resource = "arn:aws:s3:::checkov-safe/*" }]
    })
  }
}

resource "aws_iam_policy" "star_policy" {
  name = "checkov-star"
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "*", Resource = "*" }]
  })
}

resource "aws_iam_policy" "scoped_policy" {
  name = "checkov-scoped"
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "s3:GetObject", Resource = "${aws_s3_bucket.safe_bucket.arn}/*" }]
  })
}

resource "aws_sagemaker_notebook_instance" "open_notebook" {
  name          = "checkov-open"
  instance_type = "ml.t3.medium"
  role_arn      = aws_iam_role.service_role.arn
}

resource "aws_sagemaker_notebook_instance" "locked_notebook" {
  name                   = "checkov-locked"
  instance_type          = "ml.t3.medium"
  role_arn               = aws_iam_role.service_role.arn
  direct_internet_access = "Disabled"
  root_access            = "Disabled"
  kms_key_id             = local.key
  subnet_id              = "subnet-0123456789abcdef0"
  security_groups        = [aws_security_group.ssh_one.id]
}

resource "aws_sagemaker_model" "model" {
  name               = "checkov-model"
  execution_role_arn = aws_iam_role.service_role.arn
  primary_container {
    image          = "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.1-cpu-py310"
    model_data_url = "s3://checkov-safe/model.tar.gz"
  }
}

resource "aws_sagemaker_endpoint_configuration" "plain_config" {
  name = "checkov-plain"
  production_variants {
    variant_name  = "AllTraffic"
    model_name    = aws_sagemaker_model.model.name
    instance_type = "ml.m5.large"
  }
}

resource "aws_sagemaker_endpoint_configuration" "encrypted_config" {
  name        = "checkov-encrypted"
  kms_key_arn = local.key
  production_variants {
    variant_name  = "AllTraffic"
    model_name    = aws_sagemaker_model.model.name
    instance_type = "ml.m5.large"
  }
}

resource "aws_security_group" "ssh_world" {
  name        = "checkov-ssh-world"
  description = "Managed by mlstack"
  vpc_id      = "vpc-0123456789abcdef0"
  ingress {
    protocol    = "tcp"
    from_port   = 22
    to_port     = 22
    cidr_blocks = ["0.0.0.0/0"]
  }
  egress {
    protocol    = "-1"
    from_port   = 0
    to_port     = 0
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_security_group" "ssh_one" {
  name        = "checkov-ssh-one"
  description = "Managed by mlstack"
  vpc_id      = "vpc-0123456789abcdef0"
  ingress {
    protocol    = "tcp"
    from_port   = 22
    to_port     = 22
    cidr_blocks = ["203.0.113.10/32"]
  }
  egress {
    protocol    = "-1"
    from_port   = 0
    to_port     = 0
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_lambda_function" "old_fn" {
  function_name = "checkov-old"
  role          = aws_iam_role.service_role.arn
  runtime       = "python3.7"
  handler       = "h.handler"
  s3_bucket     = "checkov-safe"
  s3_key        = "fn.zip"
  architectures = ["x86_64"]
  description   = ""
}

resource "aws_lambda_function" "fn" {
  function_name = "checkov-fn"
  role          = aws_iam_role.service_role.arn
  runtime       = "python3.12"
  handler       = "h.handler"
  s3_bucket     = "checkov-safe"
  s3_key        = "fn.zip"
  architectures = ["x86_64"]
  description   = ""
}

resource "aws_instance" "host" {
  ami                    = "ami-0123456789abcdef0"
  instance_type          = "t3.micro"
  subnet_id              = "subnet-0123456789abcdef0"
  vpc_security_group_ids = [aws_security_group.ssh_one.id]
  root_block_device {
    volume_size = 20
    volume_type = "gp3"
  }
}
