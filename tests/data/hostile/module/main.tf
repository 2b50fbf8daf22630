module "outside" {
  source = "../../../outside_module"
}
