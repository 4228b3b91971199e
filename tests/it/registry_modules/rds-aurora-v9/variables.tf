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

variable "db_cluster_instance_class" {
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

variable "create_db_cluster_parameter_group" {
  type    = bool
  default = false
}

variable "db_cluster_parameter_group_name" {
  type    = string
  default = null
}

variable "db_cluster_parameter_group_family" {
  type    = string
  default = ""
}

variable "db_cluster_parameter_group_parameters" {
  type    = list(map(string))
  default = []
}

variable "create_db_parameter_group" {
  type    = bool
  default = false
}

variable "db_parameter_group_name" {
  type    = string
  default = null
}

variable "db_parameter_group_family" {
  type    = string
  default = ""
}

variable "db_parameter_group_parameters" {
  type    = list(map(string))
  default = []
}
