data <- read.csv("sicily.csv")
harmonic <- function(x, nfreq, period) { M <- outer(2*pi*as.numeric(x)/period, 1:nfreq); cbind(sin(M), cos(M)) }
ciexp <- function(m, nm) { b <- coef(m)[nm]; se <- sqrt(diag(vcov(m)))[nm]; exp(c(b, b-qnorm(.975)*se, b+qnorm(.975)*se)) }
m1 <- glm(aces ~ offset(log(stdpop)) + smokban + time, family=poisson, data)
m2 <- glm(aces ~ offset(log(stdpop)) + smokban + time, family=quasipoisson, data)
m3 <- glm(aces ~ offset(log(stdpop)) + smokban + time + harmonic(month,2,12), family=quasipoisson, data)
m4 <- glm(aces ~ offset(log(stdpop)) + smokban + time + I(time-36):smokban + harmonic(month,2,12), family=quasipoisson, data)
options(digits=10)
print(ciexp(m1,"smokban")); print(ciexp(m2,"smokban")); print(ciexp(m3,"smokban")); print(ciexp(m4,"smokban")); print(ciexp(m4,"smokban:I(time - 36)"))
print(summary(m4)$dispersion)
print(anova(m3,m4,test="F"))

# Cross-checks of the other methods (same data and design as model 4):
# regression with AR(1) errors on the log rate, exact ML (base R arima)
X <- cbind(level=data$smokban, time=data$time, slope=data$smokban*(data$time-36), harmonic(data$month,2,12))
a <- arima(log(data$aces/data$stdpop), order=c(1,0,0), xreg=X, method="ML")
print(coef(a)); print(sqrt(diag(a$var.coef)))
# negative binomial (NB2), MASS::glm.nb
library(MASS)
nb <- glm.nb(aces ~ offset(log(stdpop)) + smokban + time + I(time-36):smokban + harmonic(month,2,12), data=data)
print(coef(nb)); print(sqrt(diag(vcov(nb)))); print(1/nb$theta)
