# Copyright: transactions_st maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The action groups of meta/runtime.yml, one fragment per group (as amazon.aws and community.docker do).

A module that extends one of these must be listed in that group of meta/runtime.yml, and the other way
round: tests/unit/packaging/test_action_groups.py checks both.
"""

from __future__ import annotations


class ModuleDocFragment:
    # Every module that takes the SingleStore connection options (fragment connection.singlestore).
    SINGLESTORE = r"""
options: {}
attributes:
  action_group:
    description: Use C(group/transactions_st.realtime.singlestore) in C(module_defaults) to set connection options once.
    support: full
    membership:
      - transactions_st.realtime.singlestore
"""

    # Every module that takes the Kafka connection options (fragment connection.kafka).
    KAFKA = r"""
options: {}
attributes:
  action_group:
    description: Use C(group/transactions_st.realtime.kafka) in C(module_defaults) to set connection options once.
    support: full
    membership:
      - transactions_st.realtime.kafka
"""

    # The Helios modules (fragment connection.helios).
    HELIOS = r"""
options: {}
attributes:
  action_group:
    description: Use C(group/transactions_st.realtime.helios) in C(module_defaults) to set O(api_key) and O(api_url) once.
    support: full
    membership:
      - transactions_st.realtime.helios
"""
