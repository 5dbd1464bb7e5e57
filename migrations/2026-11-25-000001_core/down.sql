DROP TABLE wallet_transactions;
DROP FUNCTION wallet_transactions_append_only();
DROP TABLE sign_ins;
DROP TABLE wallets;
DROP TABLE users;
