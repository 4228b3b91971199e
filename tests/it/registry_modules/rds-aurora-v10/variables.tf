variable "create" {
  type    = bool
  default = true
}

variable "putin_khuylo" {
  type    = bool
  default = true
}

variable "name" {
  type    = string
  default = ""
}

variable "engine" {
  type    = string
  default = null
}

variable "engine_version" {
  type    = string
  default = null
}

variable "allocated_storage" {
  type    = number
  default = null
}

variable "cluster_instance_class" {
  type    = string
  default = null
}

variable "replication_source_identifier" {
  type    = string
  default = null
}

variable "instances" {
  type    = any
  default = {}
}

variable "cluster_parameter_group_name" {
  type    = string
  default = null
}

variable "cluster_parameter_group" {
  type = object({
    name       = optional(string)
    family     = string
    parameters = optional(list(map(string)))
  })
  default = null
}

variable "db_parameter_group" {
  type = object({
    name       = optional(string)
    family     = string
    parameters = optional(list(map(string)))
  })
  default = null
}
