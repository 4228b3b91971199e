//! Terraform plan JSON (placeholder until implemented below).
