locals {
  create_db_parameter_group = var.create_db_parameter_group && var.putin_khuylo
  create_db_instance        = var.create_db_instance && var.putin_khuylo
  parameter_group_name_id   = var.create_db_parameter_group ? module.db_parameter_group.db_parameter_group_id : var.parameter_group_name
}

module "db_parameter_group" {
  source     = "./modules/db_parameter_group"
  create     = local.create_db_parameter_group
  name       = coalesce(var.parameter_group_name, var.identifier)
  family     = var.family
  parameters = var.parameters
}

module "db_instance" {
  source               = "./modules/db_instance"
  create               = local.create_db_instance
  identifier           = var.identifier
  engine               = var.engine
  engine_version       = var.engine_version
  parameter_group_name = local.parameter_group_name_id
  replicate_source_db  = var.replicate_source_db
}

output "db_instance_identifier" {
  value = module.db_instance.db_instance_identifier
}

output "db_instance_arn" {
  value = module.db_instance.db_instance_arn
}

output "db_parameter_group_id" {
  value = module.db_parameter_group.db_parameter_group_id
}
