locals {
  longer = 1
  s      = <<-EOT
      keep  =   this
    EOT
  t      = 1
  u = [{
    a = 1
    }, {
    b = 2
  }]
  alarm_targets = [
    "a-001",
    "a-002",
  ]
}


output "o" {
  value = concat(
    [for a in x : a.name],
  )
}
