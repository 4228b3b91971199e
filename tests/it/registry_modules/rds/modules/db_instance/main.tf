variable "create" {
  type    = bool
  default = true
}

variable "identifier" {
  type    = string
  default = null
}

variable "engine" {
  type    = string
  default = null
}

variable "engine_version" {
  type    = string
  default = null
}

variable "parameter_group_name" {
  type    = string
  default = null
}

variable "replicate_source_db" {
  type    = string
  default = null
}

locals {
  is_replica = var.replicate_source_db != null
}

resource "aws_db_instance" "this" {
  count                = var.create ? 1 : 0
  identifier           = var.identifier
  engine               = local.is_replica ? null : var.engine
  engine_version       = var.engine_version
  parameter_group_name = var.parameter_group_name
  replicate_source_db  = var.replicate_source_db
}

output "db_instance_identifier" {
  value = try(aws_db_instance.this[0].identifier, null)
}

output "db_instance_arn" {
  value = try(aws_db_instance.this[0].arn, null)
}
