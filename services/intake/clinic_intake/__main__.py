import sys

from clinic_common.entry import main as run

from clinic_intake.bootstrap import add_services, build_spec
from clinic_intake.config import IntakeSettings


def main() -> int:
    return run(build_spec, IntakeSettings, add_services)


if __name__ == "__main__":
    sys.exit(main())
