// Config templates of the submit form: configs/example.ini and configs/sweep.ini without their [input] and [output]
// (the form's input field and the server's default output take their place).
export const TEMPLATES = {
  "": "",
  example: `; configs/example.ini: three policies (none, tariff10, certificates) scored over 8 Monte Carlo draws
[model]
value_rule = expected
other_factor = 0.5
margin_of_safety = 0.3

[split]
rule = nash
scope = repair

[funding]
budget = 500
theta = 1.2

[market]
elasticity = 1.5

[assessment]
draws = 8
seed = 2026

[policy.tariff10]
kind = tariff
rate = 0.1
regions = home

[policy.certificates]
kind = certificates
ratio = 0.9
expiry = 2
floor = 0.01
regions = home
`,
  sweep: `; configs/sweep.ini: 16 Latin-hypercube scenarios of three parameters
[funding]
budget = 500

[assessment]
draws = 8
seed = 2026

[policy.tariff10]
kind = tariff
rate = 0.1

[policy.certificates]
kind = certificates
ratio = 0.9
expiry = 2
floor = 0.01

[sweep]
method = lhs
samples = 16
seed = 7
market.elasticity = 0.5:3
policy.tariff10.rate = 0:0.3
policy.certificates.ratio = 0.5:1
`,
};

export const TEMPLATE_LABELS = { "": "(empty)", example: "example: 3 policies, 8 draws", sweep: "sweep: 16 scenarios" };
