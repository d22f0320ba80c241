# METADATA
# schemas:
#   - input: schema.input
# title: Gate training_launch
# description: >-
#   Asked before a run is approved and again before it is launched. Applies the HIPAA
#   data controls when any dataset holds PHI and the GDPR data controls when any dataset
#   holds personal data of EU/EEA data subjects (the run's platform and region are
#   judged by the BAA and transfer controls), and always the required approvals, so no
#   run is approved or launched without them. Query data.gates.training_launch.decision.
package gates.training_launch

import data.lib.gates

decision := gates.decision("training_launch", {"hipaa_data", "gdpr_data", "approvals"})
