from clinic_common.migrations import run_env
from clinic_scheduling.adapters.orm import metadata

run_env(metadata)
