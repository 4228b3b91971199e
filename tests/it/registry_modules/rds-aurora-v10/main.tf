locals {
  create                         = var.create && var.putin_khuylo
  create_cluster_parameter_group = local.create && var.cluster_parameter_group != null
  create_db_parameter_group      = local.create && var.db_parameter_group != null
}

resource "aws_rds_cluster" "this" {
  count                           = local.create ? 1 : 0
  cluster_identifier              = var.name
  engine                          = var.engine
  engine_version                  = var.engine_version
  db_cluster_instance_class       = var.allocated_storage != null ? var.cluster_instance_class : null
  db_cluster_parameter_group_name = local.create_cluster_parameter_group ? aws_rds_cluster_parameter_group.this[0].id : var.cluster_parameter_group_name
  replication_source_identifier   = var.replication_source_identifier
}

resource "aws_rds_cluster_instance" "this" {
  for_each                = { for k, v in var.instances : k => v if local.create }
  cluster_identifier      = aws_rds_cluster.this[0].id
  engine                  = var.engine
  engine_version          = var.engine_version
  db_parameter_group_name = local.create_db_parameter_group ? aws_db_parameter_group.this[0].id : each.value.db_parameter_group_name
}

resource "aws_rds_cluster_parameter_group" "this" {
  count       = local.create_cluster_parameter_group ? 1 : 0
  name_prefix = "${try(coalesce(var.cluster_parameter_group.name, var.name), "")}-"
  family      = var.cluster_parameter_group.family

  dynamic "parameter" {
    for_each = var.cluster_parameter_group.parameters != null ? var.cluster_parameter_group.parameters : []
    content {
      name  = parameter.value.name
      value = parameter.value.value
    }
  }
}

resource "aws_db_parameter_group" "this" {
  count       = local.create_db_parameter_group ? 1 : 0
  name_prefix = "${try(coalesce(var.db_parameter_group.name, var.name), "")}-"
  family      = var.db_parameter_group.family

  dynamic "parameter" {
    for_each = var.db_parameter_group.parameters != null ? var.db_parameter_group.parameters : []
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
