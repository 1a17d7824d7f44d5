from clinic_billing.adapters.orm import metadata
from clinic_common.migrations import run_env

run_env(metadata)
