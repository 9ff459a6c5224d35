# Reference figures for tests/inference/test_cr2_imbens_kolesar.py: CR2 standard errors and the
# Satterthwaite degrees of freedom of Imbens and Kolesar (2016), with and without their
# cluster random-effects working model, from Kolesar's R package dfadjust.
#
# Run from the repository root:
#   Rscript tests/inference/reference/cr2_imbens_kolesar.R > tests/inference/reference/cr2_imbens_kolesar_r.csv
#
# dfadjust is on CRAN; where CRAN cannot be reached, set DFADJUST_R to a file holding the
# package's dfadjustSE function (it has no dependencies beyond stats) and it is sourced instead.
# The figures committed here were made that way (dfadjustSE of dfadjust 1.0, Kolesar's GitHub
# repository Robust-Small-Sample-Standard-Errors, as of October 2021).
#
# grunfeld.csv is statsmodels.datasets.grunfeld written out by pandas (220 rows, 11 firms).
# Designs (cluster = firm):
#   pooled     invest ~ value + capital, all rows (11 clusters of 20)
#   year       invest ~ value + capital + factor(year), all rows (year effects cross the firms)
#   unequal    invest ~ value + capital, keeping 6 + r years of the r-th firm (r = 0..10) in the
#              order of the file (years 1935 to 1940 + r, at most 1949, so that no year
#              has one firm only): clusters of 6 to 15 rows
#   unequal_year  the same rows with factor(year)
# For each: dfadjustSE(fit, clustervar, IK = TRUE, rho0 = TRUE) and IK = FALSE (Bell-McCaffrey).
if (requireNamespace("dfadjust", quietly = TRUE)) {
  dfadjustSE <- dfadjust::dfadjustSE
} else {
  source(Sys.getenv("DFADJUST_R"))
}

grunfeld <- read.csv("tests/inference/reference/grunfeld.csv")
rank <- match(grunfeld$firm, unique(grunfeld$firm)) - 1
unequal <- grunfeld[grunfeld$year <= pmin(1940 + rank, 1949), ]
designs <- list(
  pooled = list(invest ~ value + capital, grunfeld),
  year = list(invest ~ value + capital + factor(year), grunfeld),
  unequal = list(invest ~ value + capital, unequal),
  unequal_year = list(invest ~ value + capital + factor(year), unequal)
)

cat("# ", R.version.string, "; dfadjustSE of dfadjust (see the script's header)\n", sep = "")
cat("# Rscript tests/inference/reference/cr2_imbens_kolesar.R > tests/inference/reference/cr2_imbens_kolesar_r.csv\n")
cat("design,working_model,term,estimate,se_hc2,df,rho,sigma2\n")
for (name in names(designs)) {
  d <- designs[[name]]
  fit <- lm(d[[1]], data = d[[2]])
  for (ik in c(TRUE, FALSE)) {
    r <- dfadjustSE(fit, clustervar = factor(d[[2]]$firm), IK = ik, rho0 = TRUE)
    for (term in c("value", "capital")) {
      cat(name, ",", if (ik) "random_effects" else "independent", ",", term, ",",
          sprintf("%.17g", r$coefficients[term, "Estimate"]), ",",
          sprintf("%.17g", r$coefficients[term, "HC2 se"]), ",",
          sprintf("%.17g", r$coefficients[term, "df"]), ",",
          sprintf("%.17g", r$rho), ",", sprintf("%.17g", r$sig), "\n", sep = "")
    }
  }
}
