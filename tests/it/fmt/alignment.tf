# A header comment.

resource "aws_kms_key" "this" {
  count = var.kms_key_arn == "" ? 1 : 0

  description = "x"
  enable_key_rotation = true
  deletion_window_in_days = 30
  tags = var.tags

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid = "A"
        Principal = { AWS = "arn:${data.aws_partition.current.partition}:iam::root" }
        Action = "kms:*"
        Condition = {
          ArnLike = {
            "kms:EncryptionContext:aws:logs:arn" = "arn:logs:${data.aws_region.current.id}:*"
          }
        }
      },
    ]
  })
}

variable "v" {
  type = string
  validation {
    condition = var.v == "" || can(regex("^arn:aws[a-z-]*:kms:", var.v))
    error_message = "The v must be x=y."
  }
}

resource "x" "y" {
  b = 1 # one
  ccc = 22 # two
  # alone
  d = "${var.a}=${var.b}"
  e = [for k, v in var.m : v if v != k]
  f = { for k, v in var.m : k => v }
  dimensions = {
    CacheClusterId = each.key
    CacheNodeId = "0001"
  }
  lifecycle {
    create_before_destroy = true
  }
}
