# CR3 reference figures for tests/inference/test_cr3_jackknife.py: Grunfeld investment, year
# effects as dummies (not nested in the firm clusters), clustered by firm.
#
# Run from the repository root:
#   Rscript tests/inference/reference/cr3_grunfeld.R > tests/inference/reference/cr3_grunfeld_r.csv
#
# grunfeld.csv is statsmodels.datasets.grunfeld written out by pandas (220 rows, 11 firms; the
# same numbers as AER's Grunfeld). Three matrices are printed for (value, capital):
#   vcovCL   sandwich::vcovCL(type = "HC3", cadjust = FALSE). For clustered HC3, sandwich's
#            meatCL scales each cluster's (I - H_gg)^{-1}-adjusted score by sqrt((G - 1) / G)
#            and cadjust = TRUE would multiply by G / (G - 1) again; with cadjust = FALSE the
#            result is (G - 1) / G * sum_g (b_(g) - b)(b_(g) - b)', the CV3 of MacKinnon,
#            Nielsen and Webb (2023). (fix = TRUE only matters for multiway clustering.)
#   refit    that CV3 from 11 explicit lm() refits, one without each firm.
#   vcovCR   clubSandwich::vcovCR(type = "CR3"), printed for comparison.
suppressPackageStartupMessages({
  library(sandwich)
  library(clubSandwich)
})

grunfeld <- read.csv("tests/inference/reference/grunfeld.csv")
formula <- invest ~ value + capital + factor(year)
fit <- lm(formula, data = grunfeld)
terms <- c("value", "capital")

cl <- vcovCL(fit, cluster = ~firm, type = "HC3", cadjust = FALSE)
cr <- as.matrix(vcovCR(fit, cluster = grunfeld$firm, type = "CR3"))

firms <- unique(grunfeld$firm)
jack <- t(sapply(firms, function(f) coef(lm(formula, data = grunfeld[grunfeld$firm != f, ]))[terms]))
shifts <- sweep(jack, 2, coef(fit)[terms])
g <- length(firms)
refit <- (g - 1) / g * crossprod(shifts)

cat("# ", R.version.string, "; sandwich ", format(packageVersion("sandwich")),
    "; clubSandwich ", format(packageVersion("clubSandwich")), "\n", sep = "")
cat("# Rscript tests/inference/reference/cr3_grunfeld.R > tests/inference/reference/cr3_grunfeld_r.csv\n")
cat("estimator,row,column,value\n")
for (name in c("vcovCL", "refit", "vcovCR")) {
  m <- list(vcovCL = cl, refit = refit, vcovCR = cr)[[name]]
  for (i in terms) for (j in terms) {
    cat(name, ",", i, ",", j, ",", sprintf("%.17g", m[i, j]), "\n", sep = "")
  }
}
