import sys

from clinic_common.entry import main as run

from clinic_billing.bootstrap import add_services, build_spec
from clinic_billing.config import BillingSettings


def main() -> int:
    return run(build_spec, BillingSettings, add_services)


if __name__ == "__main__":
    sys.exit(main())
