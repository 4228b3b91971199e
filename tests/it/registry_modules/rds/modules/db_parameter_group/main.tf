variable "create" {
  type    = bool
  default = true
}

variable "name" {
  type    = string
  default = ""
}

variable "family" {
  type    = string
  default = null
}

variable "parameters" {
  type    = list(map(string))
  default = []
}

resource "aws_db_parameter_group" "this" {
  count       = var.create ? 1 : 0
  name_prefix = "${var.name}-"
  family      = var.family

  dynamic "parameter" {
    for_each = var.parameters != null ? var.parameters : []
    content {
      name  = parameter.value.name
      value = parameter.value.value
    }
  }
}

output "db_parameter_group_id" {
  value = try(aws_db_parameter_group.this[0].id, null)
}
