-- The HRMS tables this example writes to, as a customer's DBA would have
-- them. The unique key on (punched_at, emp_code, terminal) is what makes
-- hrsync's writes idempotent.
CREATE TABLE hr_employees (
  emp_code   VARCHAR(20) NOT NULL PRIMARY KEY,
  badge_no   VARCHAR(20) NULL,
  full_name  VARCHAR(100) NULL,
  emp_status VARCHAR(20) NOT NULL DEFAULT 'active'
);
CREATE TABLE hr_attendance (
  id         BIGINT AUTO_INCREMENT PRIMARY KEY,
  emp_code   VARCHAR(20) NOT NULL,
  punched_at DATETIME NOT NULL,
  terminal   VARCHAR(40) NOT NULL DEFAULT '',
  io         VARCHAR(20) NULL,
  UNIQUE KEY hr_attendance_punch (punched_at, emp_code, terminal)
);
INSERT INTO hr_employees (emp_code, badge_no, full_name, emp_status) VALUES
  ('E1001', '1001', 'Nguyen Van An', 'active'),
  ('E1002', '1002', 'Tran Thi Binh', 'active'),
  ('E1003', '1003', 'Le Van Cuong', 'resigned');
