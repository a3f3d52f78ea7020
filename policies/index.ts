// The CrossGuard pack run by `pulumi preview --policy-pack policies`. Only this file starts the pack.
import { PolicyPack } from "@pulumi/policy";
import { rules } from "./rules";

new PolicyPack("ducklake-access", { policies: rules });
