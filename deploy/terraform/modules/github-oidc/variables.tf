variable "github_repository" {
  type        = string
  description = "GitHub repository allowed to federate, as owner/name."

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", var.github_repository))
    error_message = "github_repository must be owner/name."
  }
}

variable "allowed_environments" {
  type        = list(string)
  description = "GitHub environments whose jobs may deploy: a job with `environment: X` presents the subject repo:<repo>:environment:X. Restrict each environment to the main branch in GitHub (deployment branch policy)."
  default     = ["gcp", "aws", "production"]

  validation {
    condition     = alltrue([for e in var.allowed_environments : can(regex("^[A-Za-z0-9_.-]+$", e))])
    error_message = "allowed_environments must be environment names."
  }
}

variable "allowed_refs" {
  type        = list(string)
  description = "Git refs whose jobs WITHOUT an environment may deploy (subject repo:<repo>:ref:<ref>), e.g. refs/heads/main. Pull requests never match."
  default     = ["refs/heads/main"]

  validation {
    condition     = alltrue([for r in var.allowed_refs : startswith(r, "refs/")])
    error_message = "allowed_refs must be refs/... values."
  }
}

variable "name" {
  type        = string
  description = "Name prefix of the federation resources."
  default     = "twincloud-gh"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,20}$", var.name))
    error_message = "name must be 3-21 lowercase letters, digits or dashes, starting with a letter."
  }
}

# ------------------------------------------------------------------- GCP ---

variable "gcp_project_id" {
  type        = string
  description = "GCP project where the workload identity pool and deployer service account live."
}

variable "gcp_deployer_roles" {
  type        = list(string)
  description = "Project roles of the GCP deployer service account: push images and deploy to GKE. container.admin, not container.developer: the charts create Roles and RoleBindings (and the CloudNativePG operator's cluster-wide objects), which container.developer may not."
  default     = ["roles/artifactregistry.writer", "roles/container.admin"]

  validation {
    condition     = length(setintersection(var.gcp_deployer_roles, ["roles/owner", "roles/editor"])) == 0
    error_message = "Primitive owner/editor roles are not allowed for CI."
  }
}

# ------------------------------------------------------------------- AWS ---

variable "create_aws_oidc_provider" {
  type        = bool
  description = "Create the GitHub OIDC provider in the AWS account (only one may exist per account; false reuses it)."
  default     = true
}

variable "aws_oidc_thumbprints" {
  type        = list(string)
  description = "Certificate thumbprints of token.actions.githubusercontent.com (public values; AWS no longer checks them for this issuer, the API still accepts them)."
  default     = ["6938fd4d98bab03faadb97b34396831e3780aea1", "1c58a3a8518e8759bf075b76b750d4f2df264fcd"]
}

variable "aws_ecr_repository_arns" {
  type        = list(string)
  description = "ECR repositories the deploy role may push to (aws-site ECR ARNs)."
  default     = []
}

variable "aws_eks_cluster_arns" {
  type        = list(string)
  description = "EKS clusters the deploy role may describe (its Kubernetes rights come from an EKS access entry)."
  default     = []
}

variable "tags" {
  type        = map(string)
  description = "Tags added to every AWS resource."
  default     = {}
}
