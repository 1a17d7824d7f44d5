import sys

from clinic_common.entry import main as run

from clinic_scheduling.bootstrap import add_services, build_spec
from clinic_scheduling.config import SchedulingSettings


def main() -> int:
    return run(build_spec, SchedulingSettings, add_services)


if __name__ == "__main__":
    sys.exit(main())
