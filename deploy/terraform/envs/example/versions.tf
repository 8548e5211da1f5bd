terraform {
  required_version = ">= 1.9"

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "~> 6.0"
    }
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.80"
    }
  }

  # Remote state (encrypted, versioned, locked). Partial configuration: give the
  # bucket at init time so no account-specific name is committed:
  #   terraform init -backend-config="bucket=<state bucket>"
  # Keep the state bucket outside both sites' projects: it holds the VPN keys.
  backend "gcs" {
    prefix = "twincloud/example"
  }
}

provider "google" {
  project = var.gcp_project_id
  region  = var.gcp_region
}

provider "aws" {
  region = var.aws_region

  default_tags {
    tags = { app = "twincloud", env = var.environment }
  }
}
