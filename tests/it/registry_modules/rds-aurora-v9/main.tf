locals {
  create = var.create && var.putin_khuylo
}

resource "aws_rds_cluster" "this" {
  count                           = local.create ? 1 : 0
  cluster_identifier              = var.name
  engine                          = var.engine
  engine_version                  = var.engine_version
  db_cluster_instance_class       = var.db_cluster_instance_class
  db_cluster_parameter_group_name = var.create_db_cluster_parameter_group ? aws_rds_cluster_parameter_group.this[0].id : var.db_cluster_parameter_group_name
  replication_source_identifier   = var.replication_source_identifier
}

resource "aws_rds_cluster_instance" "this" {
  for_each                = { for k, v in var.instances : k => v if local.create }
  cluster_identifier      = aws_rds_cluster.this[0].id
  engine                  = var.engine
  engine_version          = var.engine_version
  db_parameter_group_name = var.create_db_parameter_group ? aws_db_parameter_group.this[0].id : try(each.value.db_parameter_group_name, var.db_parameter_group_name)
}

resource "aws_rds_cluster_parameter_group" "this" {
  count       = local.create && var.create_db_cluster_parameter_group ? 1 : 0
  name_prefix = "${var.name}-"
  family      = var.db_cluster_parameter_group_family

  dynamic "parameter" {
    for_each = var.db_cluster_parameter_group_parameters
    content {
      name  = parameter.value.name
      value = parameter.value.value
    }
  }
}

resource "aws_db_parameter_group" "this" {
  count       = local.create && var.create_db_parameter_group ? 1 : 0
  name_prefix = "${var.name}-"
  family      = var.db_parameter_group_family

  dynamic "parameter" {
    for_each = var.db_parameter_group_parameters
    content {
      name  = parameter.value.name
      value = parameter.value.value
    }
  }
}

output "cluster_id" {
  value = try(aws_rds_cluster.this[0].id, null)
}

output "cluster_arn" {
  value = try(aws_rds_cluster.this[0].arn, null)
}
