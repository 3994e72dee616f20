"""National-standard evaluation of stored data: hourly and daily AQI (HJ 633), monthly and annual assessment
(HJ 663 / GB 3095), water classes (GB 3838) and source exceedances, with the rule set recorded on every result."""
