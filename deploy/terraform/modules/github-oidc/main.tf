# GitHub Actions gets short-lived credentials in both clouds from its OIDC token;
# no service-account key or access key exists anywhere. Only workflows of the
# given repository on the allowed refs can exchange their token.

locals {
  issuer = "https://token.actions.githubusercontent.com"
  # The token's subject (sub) is "repo:<owner>/<name>:environment:<env>" for a job that declares an
  # environment, and "repo:<owner>/<name>:ref:<ref>" for one that does not (GitHub's OIDC reference).
  # The deploy jobs declare environments (approvals, environment variables), so those subjects are
  # the ones that must match; each environment should only allow the main branch (its deployment
  # branch policy in GitHub).
  subjects = concat(
    [for e in var.allowed_environments : "repo:${var.github_repository}:environment:${e}"],
    [for r in var.allowed_refs : "repo:${var.github_repository}:ref:${r}"],
  )
}

# ------------------------------------------------------------------- GCP ---

resource "google_iam_workload_identity_pool" "github" {
  project                   = var.gcp_project_id
  workload_identity_pool_id = var.name
  display_name              = "GitHub Actions"
  description               = "Federates GitHub Actions OIDC tokens of ${var.github_repository}."
}

resource "google_iam_workload_identity_pool_provider" "github" {
  project                            = var.gcp_project_id
  workload_identity_pool_id          = google_iam_workload_identity_pool.github.workload_identity_pool_id
  workload_identity_pool_provider_id = "github"
  display_name                       = "GitHub OIDC"

  attribute_mapping = {
    "google.subject"       = "assertion.sub"
    "attribute.repository" = "assertion.repository"
    "attribute.ref"        = "assertion.ref"
  }

  # Reject tokens of any other repository before they reach IAM, and any token whose subject is
  # not one of the allowed ones (the same list as the AWS trust policy).
  attribute_condition = "assertion.repository == '${var.github_repository}' && assertion.sub in ${jsonencode(local.subjects)}"

  oidc {
    issuer_uri = local.issuer
  }
}

resource "google_service_account" "deployer" {
  project      = var.gcp_project_id
  account_id   = "${var.name}-deployer"
  display_name = "GitHub Actions deployer"
  description  = "Impersonated by GitHub Actions of ${var.github_repository} via workload identity federation."
}

resource "google_service_account_iam_member" "deployer_federation" {
  service_account_id = google_service_account.deployer.name
  role               = "roles/iam.workloadIdentityUser"
  member             = "principalSet://iam.googleapis.com/${google_iam_workload_identity_pool.github.name}/attribute.repository/${var.github_repository}"
}

resource "google_project_iam_member" "deployer" {
  for_each = toset(var.gcp_deployer_roles)
  project  = var.gcp_project_id
  role     = each.value
  member   = "serviceAccount:${google_service_account.deployer.email}"
}

# ------------------------------------------------------------------- AWS ---

resource "aws_iam_openid_connect_provider" "github" {
  count           = var.create_aws_oidc_provider ? 1 : 0
  url             = local.issuer
  client_id_list  = ["sts.amazonaws.com"]
  thumbprint_list = var.aws_oidc_thumbprints
  tags            = var.tags
}

data "aws_iam_openid_connect_provider" "github" {
  count = var.create_aws_oidc_provider ? 0 : 1
  url   = local.issuer
}

data "aws_iam_policy_document" "github_trust" {
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = [var.create_aws_oidc_provider ? aws_iam_openid_connect_provider.github[0].arn : data.aws_iam_openid_connect_provider.github[0].arn]
    }
    condition {
      test     = "StringEquals"
      variable = "token.actions.githubusercontent.com:aud"
      values   = ["sts.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "token.actions.githubusercontent.com:sub"
      values   = local.subjects
    }
  }
}

resource "aws_iam_role" "deployer" {
  name                 = "${var.name}-deployer"
  assume_role_policy   = data.aws_iam_policy_document.github_trust.json
  max_session_duration = 3600
  tags                 = var.tags
}

data "aws_iam_policy_document" "deployer" {
  statement {
    sid       = "EcrLogin"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"] # this action has no resource-level scoping
  }

  dynamic "statement" {
    for_each = length(var.aws_ecr_repository_arns) > 0 ? [1] : []
    content {
      sid = "EcrPush"
      actions = [
        "ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:CompleteLayerUpload",
        "ecr:InitiateLayerUpload", "ecr:PutImage", "ecr:UploadLayerPart",
      ]
      resources = var.aws_ecr_repository_arns
    }
  }

  dynamic "statement" {
    for_each = length(var.aws_eks_cluster_arns) > 0 ? [1] : []
    content {
      sid       = "EksDescribe"
      actions   = ["eks:DescribeCluster"]
      resources = var.aws_eks_cluster_arns
    }
  }
}

resource "aws_iam_role_policy" "deployer" {
  name   = "deploy"
  role   = aws_iam_role.deployer.id
  policy = data.aws_iam_policy_document.deployer.json
}
