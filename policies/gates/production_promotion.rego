# METADATA
# schemas:
#   - input: schema.input
# title: Gate production_promotion
# description: >-
#   Asked before a deployment reaches production. Applies every HIPAA control when any
#   training dataset holds PHI, every GDPR control for EU/EEA personal data, the finance
#   controls for credit or financial-risk models, the EU AI Act controls for a model on the EU market, the common controls always, and the monitoring controls once a deployment is monitored.
#   Query data.gates.production_promotion.decision.
package gates.production_promotion

import data.lib.gates

decision := gates.decision("production_promotion", {"hipaa_data", "hipaa_deployment", "gdpr_data", "gdpr_model", "finance", "eu_ai_act", "common", "monitoring", "approvals"})
