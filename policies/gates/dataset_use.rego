# METADATA
# schemas:
#   - input: schema.input
# title: Gate dataset_use
# description: >-
#   Asked when a dataset version is attached to a run. Applies the HIPAA data controls
#   when any dataset holds PHI and the GDPR data controls when any dataset holds personal
#   data of EU/EEA data subjects. Query data.gates.dataset_use.decision.
package gates.dataset_use

import data.lib.gates

decision := gates.decision("dataset_use", {"hipaa_data", "gdpr_data"})
