"""Reports users produce from evaluated data (daily AQI report, monthly air-quality report, monthly surface-water
section table, source exceedance list), as XLSX and HTML, laid out like the national ones."""
