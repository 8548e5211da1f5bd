output "eks_membership" {
  description = "Fleet membership of the attached EKS cluster (null until attach_eks)."
  value       = one(google_container_attached_cluster.eks[*].id)
}

output "fleet_project_number" {
  description = "Number of the fleet host project."
  value       = data.google_project.fleet.number
}
