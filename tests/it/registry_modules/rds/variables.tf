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

variable "family" {
  type    = string
  default = null
}

variable "create_db_parameter_group" {
  type    = bool
  default = true
}

variable "parameter_group_name" {
  type    = string
  default = null
}

variable "parameters" {
  type    = list(map(string))
  default = []
}

variable "create_db_instance" {
  type    = bool
  default = true
}

variable "replicate_source_db" {
  type    = string
  default = null
}

variable "putin_khuylo" {
  type    = bool
  default = true
}
